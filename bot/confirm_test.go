package bot

import "testing"

// TestSoleConfirmation: only a response that is one private text reply
// is delivered within the client's timeout alone; files, pickers, public
// replies and several replies keep the pool's longer one.
func TestSoleConfirmation(t *testing.T) {
	for _, c := range []struct {
		resp Response
		want bool
	}{
		{Response{Replies: []Reply{{Visibility: Ephemeral, Text: "Your ballot"}}}, true},
		{Response{}, false},
		{Response{Replies: []Reply{{Visibility: Ephemeral, Text: "a"}, {Visibility: Ephemeral, Text: "b"}}}, false},
		{Response{Replies: []Reply{{Visibility: Public, Text: "a"}}}, false},
		{Response{Replies: []Reply{{Visibility: Ephemeral, Picker: &GroupPicker{}}}}, false},
		{Response{Replies: []Reply{{Visibility: Ephemeral, Files: []File{{Name: "a.csv"}}}}}, false},
	} {
		if got := c.resp.SoleConfirmation(); got != c.want {
			t.Errorf("SoleConfirmation of %+v = %v", c.resp, got)
		}
	}
}
