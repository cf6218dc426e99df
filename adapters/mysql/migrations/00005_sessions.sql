-- +goose Up
-- Dashboard sessions: the SHA-256 of each session's random id (the id
-- itself lives only in the browser's cookie), and the token it was signed
-- in with, so that it ends with that token. token_id is empty for the
-- bootstrap admin token.
CREATE TABLE IF NOT EXISTS sessions (
    id_hash    BINARY(32)  NOT NULL,
    token_id   VARCHAR(12) CHARACTER SET ascii NOT NULL,
    token_hash BINARY(32)  NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id_hash),
    KEY sessions_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE IF EXISTS sessions;
