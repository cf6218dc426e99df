-- +goose Up
-- The producers (token names) and consumers (consumer ids) a topic's
-- request named, comma-separated (neither has commas): with
-- kafka.manage_acls they get their Kafka ACLs when the topic is approved.
ALTER TABLE topics
    ADD COLUMN producers TEXT NULL AFTER description,
    ADD COLUMN consumers TEXT NULL AFTER producers;

-- +goose Down
ALTER TABLE topics DROP COLUMN consumers, DROP COLUMN producers;
