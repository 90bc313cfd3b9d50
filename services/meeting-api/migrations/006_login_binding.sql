-- Login CSRF: a pending OIDC sign-in is bound to the browser that started it. /login sets a
-- short-lived cookie holding a random value; its SHA-256 is kept here, and the callback
-- requires the cookie to match. Sign-ins pending during the upgrade (10 minutes at most)
-- have no binding and are dropped: those users start again at /login.
DELETE FROM login_requests;
ALTER TABLE login_requests ADD COLUMN binding_hash CHAR(64) NOT NULL;
