// Package report owns the file forms of a poll's results and ballots, and
// the registry of them (Formats): the tally and ballots as CSV, the
// consensus report as JSON (an external contract: scripts read it) and as
// Markdown for a working group's document, the ballots as JSON, and the
// chart as PNG (drawn by the chart subpackage). A format is defined once
// here; the chat commands, pollbot report and export and the demo take
// theirs from Formats (docs/ARCHITECTURE.md, "Adding a format").
//
// Every export is a writer over an [io.Writer]: nothing is rendered to a
// string first, and the ballots streams write one ballot at a time so that
// an export of a large poll holds no more than one row in memory.
//
// CSV cells are neutralised against spreadsheet formula injection: a cell
// whose first character would make a spreadsheet evaluate it (=, +, -, @, tab,
// carriage return, or their full-width forms) is prefixed with a single quote.
// Theme labels and voter ids are typed by participants, and a facilitator who
// opens an export in a spreadsheet must not run what a participant wrote.
package report
