-- +goose Up
-- Who owns a topic and what it is for: kds's own record, set when the
-- topic is requested and by updates; declarations and exports are grouped
-- by owner. One statement, so that it applies whole or not at all.
ALTER TABLE topics
    ADD COLUMN owner VARCHAR(64) NOT NULL DEFAULT '' AFTER requested_by,
    ADD COLUMN description TEXT NULL AFTER owner,
    ADD INDEX topics_owner (owner);

-- +goose Down
ALTER TABLE topics DROP INDEX topics_owner, DROP COLUMN description, DROP COLUMN owner;
