-- +goose NO TRANSACTION
-- +goose Up
-- A consumer's subscription to one generation of a topic; it ends when the
-- consumer unsubscribes (the row goes) or the topic leaves active (the
-- row stays, and no longer matches an active topic of that generation).
CREATE TABLE IF NOT EXISTS subscriptions (
    consumer_id    VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    topic          VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    generation     INT          NOT NULL,
    consumer_group VARCHAR(400) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    from_beginning BOOLEAN      NOT NULL,
    created_by     VARCHAR(64)  NOT NULL,
    created_at     DATETIME(6)  NOT NULL,
    PRIMARY KEY (consumer_id, topic),
    KEY subscriptions_topic (topic)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The processes of each consumer, with what each consumes now, from their
-- heartbeats.
CREATE TABLE IF NOT EXISTS consumer_instances (
    id          VARCHAR(64)  CHARACTER SET ascii NOT NULL,
    consumer_id VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    host        VARCHAR(255) NOT NULL,
    pid         INT          NOT NULL,
    started_at  DATETIME(6)  NOT NULL,
    last_seen   DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    KEY consumer_instances_consumer (consumer_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS consumer_attachments (
    instance_id VARCHAR(64)  CHARACTER SET ascii NOT NULL,
    topic       VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    PRIMARY KEY (instance_id, topic),
    KEY consumer_attachments_topic (topic)
) ENGINE = InnoDB;

-- +goose Down
DROP TABLE IF EXISTS consumer_attachments;
DROP TABLE IF EXISTS consumer_instances;
DROP TABLE IF EXISTS subscriptions;
