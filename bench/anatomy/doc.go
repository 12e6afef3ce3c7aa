// Package anatomy takes a persisted turn apart: its benchmarks (in the test
// files) time the pieces of one web greeting turn in isolation — rendering
// the replies, encoding the records, the State database write as kefu does
// it and as it could be done — so that bench/README.md can rank fixes by
// what they would save. They are micro-benchmarks: `make bench` runs them
// with the other packages' benchmarks.
package anatomy
