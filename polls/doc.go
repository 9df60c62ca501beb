// Package polls is pollbot's domain: polls of candidate themes, ballots that
// carry the voter's stakeholder group, the tally kept in step with them, and
// the consensus report computed from the tally.
//
// The package owns the rules (what a valid poll or ballot is, who may vote
// when, how consensus across groups is measured) and nothing else: it does no
// I/O of its own and knows no chat platform. Persistence is behind [Store],
// defined here where it is used and implemented by storage/bolt and
// storage/redis; time and poll identifiers are injected into [Service] so that
// tests control them.
//
// The consensus measures are documented on [ComputeReport] and in
// docs/ARCHITECTURE.md, section 3.
package polls
