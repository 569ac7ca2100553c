// Package outbox is a channel that writes what would be sent to files
// instead of sending it: posts as text files and emails as .eml files, for
// dry runs, the demo and tests that want to read what went out.
//
// It has the shapes of the other adapters (Post like a social channel, Send
// like a batch mailer) so it can stand in for any of them.
package outbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"syndicate"
)

// maxNameLen bounds the part of a file name taken from an ID, well under
// the 255 bytes most file systems allow.
const maxNameLen = 120

// BuildFunc renders one message as the bytes of an RFC 5322 email; a
// *mail.Msg from github.com/wneessen/go-mail is an io.WriterTo.
type BuildFunc func(syndicate.Message) (io.WriterTo, error)

// Outbox writes posts and emails under one directory. It is safe for
// concurrent use: every file is written to a temporary name and renamed
// into place, so a reader never sees half a file.
type Outbox struct {
	dir   string
	build BuildFunc
}

// New returns an outbox writing under dir, which it creates (with its posts
// and mail subdirectories) if need be. build renders emails: the email
// channel's own builder, so a dry run shows exactly what would be sent; an
// outbox with a nil build writes posts only.
func New(dir string, build BuildFunc) (*Outbox, error) {
	if strings.TrimSpace(dir) == "" {
		return nil, syndicate.Errorf(syndicate.EINVALID, "outbox: directory is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("outbox: resolve directory %s: %w", dir, err)
	}
	for _, sub := range []string{"posts", "mail"} {
		if err := os.MkdirAll(filepath.Join(abs, sub), 0o755); err != nil {
			return nil, fmt.Errorf("outbox: create directory: %w", err)
		}
	}
	return &Outbox{dir: abs, build: build}, nil
}

// Dir returns the absolute directory the outbox writes under.
func (o *Outbox) Dir() string { return o.dir }

// Post writes the post's text and a newline to
// dir/posts/<channel>-<articleID>.txt and returns that file's path as the
// remote id. Writing the same post again overwrites the file, so a retry
// is harmless. A post with no channel is filed under "outbox".
func (o *Outbox) Post(ctx context.Context, p syndicate.Post) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("outbox: post article %s: %w", p.ArticleID, err)
	}
	if strings.TrimSpace(p.ArticleID) == "" {
		return "", fmt.Errorf("outbox: post: %w", &syndicate.SendError{Outcome: syndicate.Permanent, Message: "post has no article id"})
	}
	ch := p.Channel
	if ch == "" {
		ch = syndicate.ChannelOutbox
	}
	path := filepath.Join(o.dir, "posts", safeName(string(ch)+"-"+p.ArticleID)+".txt")
	if err := writeAtomic(path, []byte(p.Text+"\n")); err != nil {
		return "", fmt.Errorf("outbox: post article %s: %w", p.ArticleID, &syndicate.SendError{
			Outcome: syndicate.Temporary, Message: err.Error(), Err: err,
		})
	}
	return path, nil
}

// Send writes each message to dir/mail/<MessageID>.eml (the ID made safe
// as a file name), calling report(i, err) once per message, in order, with
// nil or a *syndicate.SendError: Permanent if the message cannot be built,
// Temporary if it cannot be written. Like a batch mailer it returns only
// the context's error, having reported the messages before it stopped.
// Writing a message again overwrites its file, so a retry is harmless.
func (o *Outbox) Send(ctx context.Context, msgs []syndicate.Message, report func(i int, err error)) error {
	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("outbox: send message %d of %d: %w", i+1, len(msgs), err)
		}
		report(i, o.send(m))
	}
	return nil
}

func (o *Outbox) send(m syndicate.Message) error {
	if strings.TrimSpace(m.MessageID) == "" {
		return &syndicate.SendError{Outcome: syndicate.Permanent, Message: fmt.Sprintf("message to %s has no Message-ID", m.To)}
	}
	if o.build == nil {
		return &syndicate.SendError{Outcome: syndicate.Permanent, Message: "this outbox writes posts only: it has no email builder"}
	}
	w, err := o.build(m)
	if err != nil {
		return &syndicate.SendError{Outcome: syndicate.Permanent, Message: fmt.Sprintf("build message %s: %v", m.MessageID, err), Err: err}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return &syndicate.SendError{Outcome: syndicate.Permanent, Message: fmt.Sprintf("render message %s: %v", m.MessageID, err), Err: err}
	}
	path := filepath.Join(o.dir, "mail", safeName(m.MessageID)+".eml")
	if err := writeAtomic(path, buf.Bytes()); err != nil {
		return &syndicate.SendError{Outcome: syndicate.Temporary, Message: fmt.Sprintf("write message %s: %v", m.MessageID, err), Err: err}
	}
	return nil
}

// MailPath returns the file Send writes the message with this Message-ID
// to, for tests and for showing a dry run's result.
func (o *Outbox) MailPath(messageID string) string {
	return filepath.Join(o.dir, "mail", safeName(messageID)+".eml")
}

// safeName turns an ID into a file name that cannot leave its directory
// or be hidden: bytes other than letters, digits and "-_.@+=" become "_",
// and a leading dot too. Since different IDs could then look the same, a
// name that had to change, or was too long, gets a hash of the original.
func safeName(id string) string {
	var b strings.Builder
	changed := false
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-_.@+=", c) >= 0
		if !ok || (i == 0 && c == '.') {
			c = '_'
			changed = true
		}
		b.WriteByte(c)
	}
	name := b.String()
	if len(name) > maxNameLen {
		name = name[:maxNameLen]
		changed = true
	}
	if changed || name == "" {
		sum := sha256.Sum256([]byte(id))
		name += "~" + hex.EncodeToString(sum[:6])
	}
	return name
}

// writeAtomic writes data to a temporary file next to path and renames it
// into place, so path holds either the old or the new content, never part.
func writeAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err == nil {
			return
		}
		if rerr := os.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("remove temporary file: %w", rerr))
		}
	}()
	if _, err := f.Write(data); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", tmp, err), f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(fmt.Errorf("sync %s: %w", tmp, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	// CreateTemp makes the file private; what is written is meant to be
	// read like any other output.
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename to %s: %w", path, err)
	}
	return nil
}
