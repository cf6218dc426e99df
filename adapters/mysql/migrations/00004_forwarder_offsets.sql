-- +goose NO TRANSACTION
-- +goose Up
-- The forwarders of several kds serve processes take turns through
-- watermill-sql's SELECT ... FOR UPDATE on their consumer group's offsets
-- row. Until the first acknowledgement that row did not exist, and at READ
-- COMMITTED a locking read of a missing row locks nothing: two forwarders
-- on a fresh database both read the outbox from the start and both
-- delivered the first batch. With the row in place from the start, they
-- take turns from the first batch on.
INSERT IGNORE INTO watermill_offsets_kds_outbox (consumer_group, offset_acked, offset_consumed) VALUES ('kds-forwarder', 0, 0);

-- +goose Down
DELETE FROM watermill_offsets_kds_outbox WHERE consumer_group = 'kds-forwarder' AND offset_acked = 0;
