package mysql

// String describes the database without the password, so that a
// configuration printed or logged by mistake does not show it.
func (c Config) String() string { return c.Where() }

// GoString is String, for %#v.
func (c Config) GoString() string { return c.Where() }
