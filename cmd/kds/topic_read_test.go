package main

import (
	"testing"

	"github.com/kds-io/kds/app/content"
)

// TestPageFooter: the line after a page counts what it showed in plain
// English and gives the command for the next page, or, at the end, for
// what comes next.
func TestPageFooter(t *testing.T) {
	for _, c := range []struct {
		page      content.Page
		partition int
		want      string
	}{
		{content.Page{Topic: "t", Records: make([]content.Record, 1), Scanned: 4, NextOffsets: "0:1,1:1", AtEnd: true}, -1,
			"1 message shown of 4 read, to the end; kds topic read t --offset 0:1,1:1 reads what comes next"},
		{content.Page{Topic: "t", Records: make([]content.Record, 2), Scanned: 100000, NextOffsets: "1:7"}, 1,
			"2 messages shown of 100000 read; next page: kds topic read t --offset 1:7 --partition 1"},
	} {
		if got := pageFooter(c.page, c.partition); got != c.want {
			t.Errorf("pageFooter = %q\nwant          %q", got, c.want)
		}
	}
}

// TestGroupText: a consumer group's members are counted in plain English.
func TestGroupText(t *testing.T) {
	for members, want := range map[int]string{0: "Empty, 0 members", 1: "Empty, 1 member", 2: "Empty, 2 members"} {
		if got := groupText(content.Lag{State: "Empty", Members: members}); got != want {
			t.Errorf("groupText with %d members = %q, want %q", members, got, want)
		}
	}
}
