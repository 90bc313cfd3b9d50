-- Wrong meeting passwords per meeting and caller in a one-minute window: guesses beyond
-- PASSWORD_FAILURES_PER_MINUTE are refused with 429 before any Argon2 work. Kept in the database so
-- that several API instances share one count.
CREATE TABLE password_failures (
  meeting_id   INTEGER      NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  caller       VARCHAR(255) NOT NULL,
  window_start TIMESTAMPTZ  NOT NULL,
  attempts     INTEGER      NOT NULL,
  PRIMARY KEY (meeting_id, caller)
);
