package main

import (
	"slices"
	"strings"
	"testing"
)

func TestSentinelURL(t *testing.T) {
	opt, where, err := parseSentinelURL("redis+sentinel://:s3cret@10.0.0.1:26379,sentinel-b:26380/mymaster?db=3&sentinel_password=sp")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(opt.SentinelAddrs, []string{"10.0.0.1:26379", "sentinel-b:26380"}) || opt.MasterName != "mymaster" ||
		opt.DB != 3 || opt.Password != "s3cret" || opt.SentinelPassword != "sp" || opt.TLSConfig != nil {
		t.Errorf("options = %+v", opt)
	}
	if strings.Contains(where, "s3cret") || !strings.Contains(where, "mymaster") {
		t.Errorf("where = %q", where)
	}
	opt, _, err = parseSentinelURL("rediss+sentinel://[::1]:26379/m")
	if err != nil || opt.TLSConfig == nil || opt.TLSConfig.ServerName != "::1" || opt.SentinelAddrs[0] != "[::1]:26379" {
		t.Errorf("TLS: %+v, %v", opt, err)
	}
	for _, bad := range []string{
		"redis+sentinel://h1:26379/",             // no master name
		"redis+sentinel://h1/m",                  // no port
		"redis+sentinel://h1:0/m",                // port out of range
		"redis+sentinel://h1:26379,/m",           // empty address
		"redis+sentinel://h1:26379/m/x",          // a path in the name
		"redis+sentinel://h1:26379/m?db=16",      // db out of range
		"redis+sentinel://h1:26379/m?db=x",       // db not a number
		"redis+sentinel://h1:26379/m?timeout=3s", // unknown parameter
		"redis+sentinel://:pw@h1:26379/m%0a",     // control character in the name
	} {
		if _, _, err := parseSentinelURL(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if _, _, err := newRedisClient("redis+sentinel://:hunter2@h1:26379/?db=1"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v: want one that hides the password", err)
	}
	c, where, err := newRedisClient("rediss://:pw@127.0.0.1:6380/2")
	if err != nil || where != "127.0.0.1:6380" {
		t.Errorf("rediss:// = %q, %v", where, err)
	} else {
		c.Close()
	}
}

// FuzzSentinelURL: no URL makes the parser panic, and what it accepts
// names at least one Sentinel and a master.
func FuzzSentinelURL(f *testing.F) {
	for _, s := range []string{
		"redis+sentinel://:pw@h1:26379,h2:26379/mymaster?db=2",
		"rediss+sentinel://[::1]:26379/m?sentinel_password=x",
		"redis+sentinel://h1:26379/",
		"redis+sentinel://%zz/m",
		"redis+sentinel://h:1,h:2,h:3/a.b-c_d?db=15&db=0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		opt, _, err := parseSentinelURL(s)
		if err != nil {
			return
		}
		if len(opt.SentinelAddrs) == 0 || !masterName.MatchString(opt.MasterName) || opt.DB < 0 || opt.DB > 15 {
			t.Errorf("%q accepted as %+v", s, opt)
		}
	})
}
