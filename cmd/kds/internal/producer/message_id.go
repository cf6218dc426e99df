package producer

import (
	"encoding/hex"

	"github.com/google/uuid"
)

// idLen is the length of a message id in its text form.
const idLen = 36

// appendID appends id's text form, as id.String() makes it, to b without
// a string of its own.
func appendID(b []byte, id uuid.UUID) []byte {
	var text [idLen]byte
	hex.Encode(text[0:8], id[0:4])
	text[8] = '-'
	hex.Encode(text[9:13], id[4:6])
	text[13] = '-'
	hex.Encode(text[14:18], id[6:8])
	text[18] = '-'
	hex.Encode(text[19:23], id[8:10])
	text[23] = '-'
	hex.Encode(text[24:], id[10:])
	return append(b, text[:]...)
}
