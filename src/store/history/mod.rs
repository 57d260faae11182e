//! The history of every send, answer, error-response, feedback entry and disconnection, in SQLite.
