-- +goose NO TRANSACTION
-- +goose Up
-- What each comparison of MySQL with Kafka found; the newest few are kept.
CREATE TABLE IF NOT EXISTS reconciliations (
    id          BIGINT      NOT NULL AUTO_INCREMENT,
    started_at  DATETIME(6) NOT NULL,
    finished_at DATETIME(6) NOT NULL,
    checked     INT         NOT NULL,
    findings    JSON        NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE IF EXISTS reconciliations;
