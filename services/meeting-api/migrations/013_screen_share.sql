-- Screen sharing: whether several people may share their screens at once (default: one at a time).
ALTER TABLE meetings ADD COLUMN multiple_screen_shares BOOLEAN NOT NULL DEFAULT false;
