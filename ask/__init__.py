"""Ask in plain words: a question in Korean or English becomes safe SQL, a table and a chart (issue 23).

Pure parts: `interpret` (question -> SQL or a refusal), `guard` (any SQL -> safe SQL or a refusal),
`answer` (rows -> sentence and table), `chart` (rows -> PNG). I/O: `llm` (a chat-completions server),
and the read-only query port (`core.ports.ReadOnlyQueries`, implemented in `storage.readonly`).
`service.AskService` puts them together for the CLI, the bot and the API.
"""
