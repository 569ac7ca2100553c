package main

import (
	"syndicate/config"
	"syndicate/fetch"
)

// contentFetcher is the one client for every URL taken from content: feeds
// and the pages given to publish and preview, and the card images the
// Bluesky channel uploads. It refuses loopback, private and link-local
// addresses, checked on the address dialled, unless allow_private is set
// or the host is one of allow_private_hosts; callers copy it to change a
// limit.
//
// The APIs the operator configured (X, Mastodon, Bluesky, SMTP, webhook
// targets) are not content and keep their own clients. That split is what
// lets the end-to-end tests run fake APIs on 127.0.0.1 with allow_private
// off and still prove a loopback image URL refused; their feed servers, on
// 127.0.0.1 too, are let through by allow_private_hosts, host and port.
func contentFetcher(cfg config.Config) *fetch.Client {
	return &fetch.Client{AllowPrivate: cfg.AllowPrivate, AllowHosts: cfg.AllowPrivateHosts}
}
