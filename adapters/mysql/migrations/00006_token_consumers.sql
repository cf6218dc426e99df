-- +goose Up
-- The consumer ids a consumer's token acts for, comma-separated (consumer
-- ids have no commas). Consumer tokens made before act for the consumer id
-- that is their name, as new ones do by default.
ALTER TABLE tokens ADD COLUMN consumers VARCHAR(6500) CHARACTER SET ascii NOT NULL DEFAULT '' AFTER role;
UPDATE tokens SET consumers = name WHERE role = 'consumer';

-- +goose Down
ALTER TABLE tokens DROP COLUMN consumers;
