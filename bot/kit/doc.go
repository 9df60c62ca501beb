// Package kit is the chat adapters' toolkit: what every adapter needs
// between a platform's wire and the engine, and nothing of the engine
// itself. It reads request bodies within their bound (ReadBody, and
// JSONTooDeep for payloads), bounds the work done before a platform's
// acknowledgement (AnswerContext), runs work after it and waits for it at
// shutdown (Tasks), pools the buffers a click is built in (Buffers),
// coalesces the re-renders of poll messages within the platforms' rate
// limits (Coalescer), and keeps tokens and response URLs out of logs
// (RedactLogs). It imports the domain (polls) for poll keys,
// and no platform SDK.
package kit
