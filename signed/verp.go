package signed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// VERP return paths: each email's envelope sender (MAIL FROM, which
// becomes Return-Path) is bounces+TOKEN@domain, so a delivery status
// notification names the very delivery it is about, whatever the
// receiving server quotes of the message. TOKEN is the ledger row's ID in
// base 36, a hyphen and the first 10 bytes of an HMAC-SHA256 of that ID,
// in hex: lowercase letters, digits and one hyphen, since mail systems
// may fold the case of a local part, and at most 34 characters, within
// the 64 a local part may have.

// verpContext separates these MACs from every other scheme's.
const verpContext = "syndicate verp v1\x00"

// verpMACLen is how many bytes of the MAC a token carries: 80 bits, more
// than enough against forging a bounce by guessing.
const verpMACLen = 10

// VERPPrefix is the local part before the token.
const VERPPrefix = "bounces+"

// VERPToken returns the token of the ledger row id.
func VERPToken(secret string, id int64) string {
	n := strconv.FormatInt(id, 36)
	return n + "-" + hex.EncodeToString(verpMAC(secret, n))
}

// VERPAddress returns the return path of the ledger row id at domain.
func VERPAddress(secret string, id int64, domain string) string {
	return VERPPrefix + VERPToken(secret, id) + "@" + domain
}

// VerifyVERP returns the ledger row ID of a token made by VERPToken with
// the same secret. Comparison ignores case, as mail systems may not keep it.
func VerifyVERP(secret, token string) (int64, error) {
	token = strings.ToLower(token)
	n, sum, ok := strings.Cut(token, "-")
	if !ok || secret == "" || n == "" || len(n) > 13 || len(sum) != 2*verpMACLen {
		return 0, ErrInvalid
	}
	got, err := hex.DecodeString(sum)
	if err != nil || !hmac.Equal(got, verpMAC(secret, n)) {
		return 0, ErrInvalid
	}
	id, err := strconv.ParseInt(n, 36, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 36) != n {
		return 0, ErrInvalid
	}
	return id, nil
}

// VERPTokenOf returns the token of a VERP address (bounces+TOKEN@domain,
// with or without angle brackets), or "" if addr is not one.
func VERPTokenOf(addr string) string {
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	local := addr[:at]
	if len(local) <= len(VERPPrefix) || !strings.EqualFold(local[:len(VERPPrefix)], VERPPrefix) {
		return ""
	}
	return local[len(VERPPrefix):]
}

func verpMAC(secret, id string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(verpContext))
	h.Write([]byte(id))
	return h.Sum(nil)[:verpMACLen]
}
