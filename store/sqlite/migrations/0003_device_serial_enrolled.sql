-- A serial number is unique among a group's enrolled devices only: a device
-- that was revoked may enrol again with its serial.
DROP INDEX devices_group_serial;
CREATE UNIQUE INDEX devices_group_serial ON devices (group_id, serial) WHERE serial <> '' AND revoked_at IS NULL;
