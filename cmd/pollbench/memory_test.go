package main

import "testing"

func TestParseDataMemory(t *testing.T) {
	info := "# Memory\r\nused_memory:1528880\r\nused_memory_human:1.46M\r\nmem_clients_normal:44824\r\n"
	list := "id=3 addr=127.0.0.1:50490 laddr=127.0.0.1:6390 fd=8 name= age=2 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=22426 events=r cmd=client|list user=default redir=-1 resp=2\n" +
		"id=4 addr=127.0.0.1:50492 laddr=127.0.0.1:6390 fd=9 name= age=2 idle=1 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=5 obl=0 oll=0 omem=0 tot-mem=1800 events=r cmd=evalsha user=default redir=-1 resp=2\n"
	if n, err := parseDataMemory(info, list); err != nil || n != 1528880-22426-1800 {
		t.Errorf("parseDataMemory = %d, %v", n, err)
	}
	for _, bad := range []struct{ info, list string }{
		{"# Memory\r\n", ""},
		{"used_memory:lots\r\n", ""},
		{"used_memory:100\r\n", "id=3 addr=127.0.0.1:1 cmd=client|list\n"},
		{"used_memory:100\r\n", "id=3 tot-mem=x\n"},
	} {
		if _, err := parseDataMemory(bad.info, bad.list); err == nil {
			t.Errorf("parseDataMemory(%q, %q) accepted", bad.info, bad.list)
		}
	}
}
