package article

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"syndicate"
)

// parseJSON reads one JSON object with the front matter's fields plus
// "body" (Markdown or plain text). Unknown fields are ignored.
func parseJSON(subj, text string) (fields, error) {
	var f fields
	dec := json.NewDecoder(strings.NewReader(text))
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return f, syndicate.Errorf(syndicate.EINVALID, "%s does not hold a JSON object", subj)
		}
		return f, syndicate.Errorf(syndicate.EINVALID, "%s is not valid JSON: %v", subj, err)
	}
	if raw == nil {
		return f, syndicate.Errorf(syndicate.EINVALID, "%s does not hold a JSON object", subj)
	}
	if _, err := dec.Token(); err != io.EOF {
		return f, syndicate.Errorf(syndicate.EINVALID, "%s has more than one JSON value", subj)
	}
	var body string
	for k, v := range raw {
		key := strings.ToLower(k)
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			continue
		}
		switch key {
		case "title", "url", "author", "summary", "image", "date", "published_at", "body", "lang", "language":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return f, syndicate.Errorf(syndicate.EINVALID, "%s has JSON field %q that is not a string", subj, k)
			}
			if key == "body" {
				body = s
				continue
			}
			if err := f.set(subj, key, s); err != nil {
				return f, err
			}
		case "tags":
			var list []string
			var s string
			if err := json.Unmarshal(v, &list); err == nil {
				f.tags = append([]string{}, list...)
			} else if err := json.Unmarshal(v, &s); err == nil {
				f.tags = splitTags(s)
			} else {
				return f, syndicate.Errorf(syndicate.EINVALID, "%s has JSON field %q that is not a list of strings or a comma-separated string", subj, k)
			}
		}
	}
	var err error
	if f.body, f.html, err = markdownBlocks(body); err != nil {
		return f, syndicate.Errorf(syndicate.EINVALID, "%s has a body that cannot be read: %v", subj, err)
	}
	return f, nil
}
