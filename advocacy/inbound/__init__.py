"""Step 5, questions in: members' replies through the webhook, IMAP or .eml/mbox files, read into questions.

Owns storing raw replies and turning them into questions (`intake`), MIME (`mime`), reply text (`replies`,
`replytext`, `htmltext`), the SendGrid Inbound Parse route (`webhook`) and the IMAP poller (`imap`).
May import: everything below it (`vocabulary`, `digests`, `advocacy.models`, `advocacy.people`,
`advocacy.outbound`, the root modules).
"""
