package dialog

// Values in Reply.Data that the locales package formats for the member's
// language; any other value is printed as it is.

// Money is an amount in fen (1/100 yuan).
type Money int64

// Msg is a message ID to be rendered in place, such as a plan's name.
type Msg string

// Masked is a phone or email already masked for display.
type Masked string

// Timestamps are time.Time values, shown in the configured time zone.
