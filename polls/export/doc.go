// Package export owns the file forms of a poll's results and ballots: the
// tally and ballots as CSV, the consensus report as JSON (the external
// contract of DESIGN.md section 5) and as Markdown for a working group's
// document.
//
// Every export is a writer over an [io.Writer]: nothing is rendered to a
// string first, and the ballots CSV streams one ballot at a time so that an
// export of a large poll holds no more than one row in memory. Like its parent
// package, export imports only the standard library.
//
// CSV cells are neutralised against spreadsheet formula injection: a cell
// whose first character would make a spreadsheet evaluate it (=, +, -, @, tab,
// carriage return, or their full-width forms) is prefixed with a single quote.
// Theme labels and voter ids are typed by participants, and a facilitator who
// opens an export in a spreadsheet must not run what a participant wrote.
package export
