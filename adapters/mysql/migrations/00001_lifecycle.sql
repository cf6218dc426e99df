-- +goose NO TRANSACTION
-- +goose Up
-- MySQL commits DDL implicitly, so each statement stands alone; IF NOT
-- EXISTS lets a migration cut short by a crash run again to completion.
-- Topic names are ASCII and case-sensitive, as in Kafka.
CREATE TABLE IF NOT EXISTS topics (
    name               VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    generation         INT          NOT NULL,
    status             VARCHAR(16)  NOT NULL,
    partitions         INT          NOT NULL,
    replication_factor SMALLINT     NOT NULL,
    configs            JSON         NOT NULL,
    requested_by       VARCHAR(64)  NOT NULL,
    requested_at       DATETIME(6)  NOT NULL,
    updated_at         DATETIME(6)  NOT NULL,
    -- The name with '.' as '_' while the topic is live, NULL once it is
    -- rejected or deleted: at most one live topic per metric name.
    live_key           VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NULL,
    PRIMARY KEY (name),
    UNIQUE KEY topics_live_key (live_key),
    KEY topics_status (status)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS transitions (
    id          BIGINT       NOT NULL AUTO_INCREMENT,
    topic       VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    generation  INT          NOT NULL,
    action      VARCHAR(16)  NOT NULL,
    from_status VARCHAR(16)  NULL,
    to_status   VARCHAR(16)  NOT NULL,
    actor       VARCHAR(64)  NOT NULL,
    reason      TEXT         NULL,
    command_id  CHAR(36) CHARACTER SET ascii NOT NULL,
    at          DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    KEY transitions_topic (topic, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS commands (
    id         CHAR(36) CHARACTER SET ascii NOT NULL,
    type       VARCHAR(32)  NOT NULL,
    topic      VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    actor      VARCHAR(64)  NOT NULL,
    reason     TEXT         NULL,
    payload    JSON         NOT NULL,
    status     VARCHAR(16)  NOT NULL,
    error      TEXT         NULL,
    issued_at  DATETIME(6)  NOT NULL,
    handled_at DATETIME(6)  NULL,
    PRIMARY KEY (id),
    KEY commands_topic (topic, issued_at),
    KEY commands_status (status, issued_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS tokens (
    id           CHAR(12) CHARACTER SET ascii NOT NULL,
    name         VARCHAR(64)  NOT NULL,
    role         VARCHAR(16)  NOT NULL,
    hash         BINARY(32)   NOT NULL,
    created_by   VARCHAR(64)  NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    revoked_at   DATETIME(6)  NULL,
    last_used_at DATETIME(6)  NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Every transaction that writes the outbox locks this row first, so outbox
-- offsets are assigned in commit order (see DESIGN.md §6).
CREATE TABLE IF NOT EXISTS outbox_lock (
    id TINYINT NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB;
INSERT IGNORE INTO outbox_lock (id) VALUES (1);

-- Watermill's MySQL schema and offsets tables for the outbox topic
-- kds_outbox, as watermill-sql's default adapters expect them.
CREATE TABLE IF NOT EXISTS watermill_kds_outbox (
    `offset`     BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `uuid`       VARCHAR(36) NOT NULL,
    `created_at` TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    `payload`    JSON DEFAULT NULL,
    `metadata`   JSON DEFAULT NULL
) ENGINE = InnoDB;

CREATE TABLE IF NOT EXISTS watermill_offsets_kds_outbox (
    consumer_group  VARCHAR(255) NOT NULL,
    offset_acked    BIGINT,
    offset_consumed BIGINT NOT NULL,
    PRIMARY KEY (consumer_group)
) ENGINE = InnoDB;

-- +goose Down
DROP TABLE IF EXISTS watermill_offsets_kds_outbox;
DROP TABLE IF EXISTS watermill_kds_outbox;
DROP TABLE IF EXISTS outbox_lock;
DROP TABLE IF EXISTS tokens;
DROP TABLE IF EXISTS commands;
DROP TABLE IF EXISTS transitions;
DROP TABLE IF EXISTS topics;
