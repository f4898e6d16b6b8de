"""The audience: who is watching and writing, and what they may do.

text.py        what may be written: message text and display names (no impersonation)
markdown.py    the small markdown subset, rendered to safe HTML
core.py        the per-process service: caches, rate limits, appending audience events
sessions.py    signed-cookie sessions, identities, CSRF
accounts.py    accounts and passwords (Argon2id)
visibility.py  ``can_view``: public, unlisted, private streams and invitations
actions.py     the table of actions (HTTP routes, websocket messages, OpenAPI)
chat.py        chat, questions, votes, anchored comments, polls
moderation.py  delete, pin, timeout, ban, unban, moderators
inbox.py       the streamer's inbox
routes.py      the JSON API
studio.py      login, the studio, invitation links
openapi.py     the OpenAPI document
"""
