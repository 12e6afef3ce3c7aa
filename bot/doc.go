// Package bot is kefu's runtime: it routes every channel's members through
// the dialog engine, hands them to a person when they ask, carries out and
// delivers what they confirm, and keeps it all in a store.Store. Channels
// (web, Telegram, the agents' console) see text, buttons and events only;
// dialog sees no channel and no storage.
//
// Its types, each with one job, and where they live:
//
//	Runtime        runtime.go   the turn loop: Start and Handle, one turn at
//	                            a time per conversation, replies rendered
//	               conversations.go  conversations loaded lazily, evicted
//	                            when idle; change, the one way every type
//	                            changes a conversation
//	               limits.go    the limits every member message is held
//	                            to, whatever the channel: Config.MsgRate
//	                            and MaxLen (RateLimitError, TooLongError)
//	               kbfeedback.go  members' verdicts on help-center
//	                            articles: KBFeedback
//	               stats.go     what the reports count besides work
//	                            orders (kept, completed, handoffs, waits,
//	                            satisfaction): Tallies
//	               subscribe.go Subscribe and SubscribeChannel
//	               open.go      Open, Config, Close, and the accessors below
//	Conversation,  conversation.go  what a conversation and a transcript line are
//	Message
//	Handoffs       handoff.go   the queue of members waiting for a person,
//	                            agents' presence and the leases they hold
//	                            conversations by
//	               agent.go     what an agent does: Claim, AgentMessage,
//	                            Release, CloseConversation, AgentAct
//	               agentverify.go  agents verify a member: AgentVerify (the
//	                            questions), AgentSendCode (a code the
//	                            member types while held)
//	               notes.go     agents' internal notes, kept apart from
//	                            the transcript: AddNote, Notes, WatchNotes
//	Outbox         outbox.go    deliveries that must not be lost (receipts),
//	                            retried until accepted, by one courier
//	               renewals.go  renewal reminders
//	WorkOrderBook  workorders.go  numbered work orders on the member system;
//	               receipts.go    their signed, printable receipts
//	Verification   verification.go  one-time codes and security questions
//	MemberStore    members.go   the member system; DemoMembers embedded
//	Notifier       notifier.go  SMS and email outside the chat
//	ChannelState   channelstate.go  channels' cursors and handled events
//	Health         health.go    each part's state for /healthz, the disk
//	                            floor and the turns it refuses (Refusal)
//	Metrics        metrics.go   Prometheus metrics
//	cluster        cluster.go   the other instances on a store.Cluster
//	                            (PostgreSQL): bus, conversation locks,
//	                            leads; alone on Badger it is empty
//	               retention.go Runtime.Expire: sweeps of old transcripts
//	                            and work orders (Config.Retention)
//	               records.go   every key the package writes, and the
//	                            versioned conversation and message records
//	               store.go     transactions, JSON records, secrets, backup
//
// Reach the parts from a runtime with rt.Handoffs(), rt.Outbox(),
// rt.WorkOrders(), rt.ChannelState(), rt.Health() and rt.Metrics(). Every
// exported method is safe for concurrent use.
package bot
