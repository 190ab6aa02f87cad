-- A TOTP code is accepted once: the last RFC 6238 time-step (Unix time / 30 s) that signed this user in
-- or turned MFA on. A code whose step is not later than it is refused, so a code seen over someone's
-- shoulder or replayed from a log cannot be used again inside its window. Null: no code accepted yet.
alter table users add column totp_last_step bigint;
