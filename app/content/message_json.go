package content

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends m as encoding/json encodes it, with a newline, as
// json.Encoder writes it: consumers print messages by the hundred thousand
// a second, and encoding/json spends most of that time on reflection and on
// re-reading what time.Time's MarshalJSON returns.
func (m *Message) AppendJSON(b []byte) []byte {
	b = append(b, `{"topic":`...)
	b = appendJSONString(b, m.Topic)
	b = append(b, `,"partition":`...)
	b = strconv.AppendInt(b, int64(m.Partition), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, m.Offset, 10)
	if m.Key != "" {
		b = append(b, `,"key":`...)
		b = appendJSONString(b, m.Key)
	}
	b = append(b, `,"value":`...)
	b = appendJSONString(b, m.Value)
	if m.Producer != "" {
		b = append(b, `,"producer":`...)
		b = appendJSONString(b, m.Producer)
	}
	if !m.SentAt.IsZero() {
		b = append(b, `,"sent_at":`...)
		b = appendJSONTime(b, m.SentAt)
	}
	if !m.Timestamp.IsZero() {
		b = append(b, `,"timestamp":`...)
		b = appendJSONTime(b, m.Timestamp)
	}
	b = append(b, `,"received_at":`...)
	b = appendJSONTime(b, m.ReceivedAt)
	if m.UUID != "" {
		b = append(b, `,"uuid":`...)
		b = appendJSONString(b, m.UUID)
	}
	return append(b, "}\n"...)
}

func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes it: HTML's
// <, > and & escaped, invalid UTF-8 as U+FFFD, and U+2028 and U+2029
// escaped for JavaScript.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
