// Package bot is pollbot's platform-neutral engine: the /poll command
// grammar, permissions, stakeholder-group resolution, and the views of polls
// and reports that every adapter (Slack, Discord, the local shell) renders.
//
// Adapters translate their platform's wire format into a [Request] plus a
// [Command] (or an [Action] for a button click), call the [Engine], and
// render the [Response]. Everything a participant reads is worded here once;
// adapters only lay it out. The package imports the domain (polls) and never
// a platform SDK or a database driver.
package bot
