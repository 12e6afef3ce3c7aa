// Package faulttest holds kefu's fault tests: they build the real kefu
// binary, run `kefu serve` on a data directory, drive members through it
// over the real websocket, and kill or stop the process under them (kill -9,
// SIGTERM), checking that no confirmed work order is lost or duplicated and
// that every conversation resumes. The package has no code of its own.
package faulttest
