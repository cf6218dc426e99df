-- +goose Up
-- A subscription ends when its generation of the topic is deleted: the
-- topic manager ends them as it records the deletion. This ends the ones
-- that generations deleted before then left behind, which kds listed as
-- ended and took for subscriptions again when the name was approved anew.
-- A newer generation exists only once the older one is deleted.
DELETE s FROM subscriptions s JOIN topics t ON t.name = s.topic
WHERE s.generation < t.generation OR (s.generation = t.generation AND t.status = 'deleted');

-- +goose Down
-- What was ended stays ended.
SELECT 1;
