package main

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/article"
	"syndicate/config"
	"syndicate/jobs"
	"syndicate/mailsink"
)

//go:embed demodata/article.md
var demoArticle []byte

var demoSubscribers = []syndicate.Subscriber{
	{Email: "ada@example.com", Name: "Ada Lovelace", Frequency: syndicate.Instant},
	{Email: "grace@example.com", Name: "Grace Hopper", Frequency: syndicate.Instant},
	{Email: "alan@example.org", Name: "Alan Turing", Frequency: syndicate.Instant},
}

func (a *app) demoCmd() *cobra.Command {
	var dir, file string
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole path in one process, on embedded defaults",
		Long: `demo publishes a sample article (or --article FILE) to three sample
subscribers and to X, Mastodon and Bluesky, all inside this process: an
in-memory Redis, a SQLite database, an SMTP server that keeps each email as
an .eml file, and files in place of the social networks. It reads no
configuration and touches no network. It prints what it sent and where the
files are (a new temporary folder, or --dir).`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.demo(dir, file)
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "folder for the database, emails and posts (default: a new temporary folder)")
	c.Flags().StringVar(&file, "article", "", "publish this article file instead of the sample")
	return c
}

func (a *app) demo(dir, file string) error {
	if a.logLevel == "info" {
		a.logLevel = "warn" // the demo prints its own story; info logs would interleave
	}
	var (
		art syndicate.Article
		err error
	)
	if file != "" {
		art, err = article.ParseFile(file, article.Options{Now: time.Now})
	} else {
		art, err = article.Parse("sample.md", bytes.NewReader(demoArticle), article.Options{Now: time.Now})
	}
	if err != nil {
		return err
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "syndicate-demo-"); err != nil {
			return fmt.Errorf("create demo folder: %w", err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create demo folder: %w", err)
	}
	mr, err := miniredis.Run()
	if err != nil {
		return fmt.Errorf("start in-memory redis: %w", err)
	}
	defer mr.Close()
	sink, err := mailsink.Start(filepath.Join(dir, "mail"))
	if err != nil {
		return err
	}
	defer sink.Close()
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("make demo secret: %w", err)
	}
	cfg := config.Config{
		RedisURL:    "redis://" + mr.Addr() + "/0",
		DatabaseURL: "sqlite:" + filepath.Join(dir, "syndicate.db"),
		SMTPURL:     sink.URL(),
		From:        "Riverside Daily <newsletter@news.example.com>",
		BaseURL:     "http://localhost:8080",
		Secret:      hex.EncodeToString(secret),
		OutboxDir:   filepath.Join(dir, "outbox"),
		BatchSize:   config.DefaultBatchSize,
		Concurrency: 4,
		MaxRetry:    3,
		RetryBase:   config.Duration(time.Second),
		Brand:       config.Brand{Name: "Riverside Daily", Address: "1 Market Square, Riverside", Color: "#1a73e8", SiteURL: "https://news.example.com/"},
	}
	st, err := a.openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, s := range demoSubscribers {
		s.Status = syndicate.SubscriberActive
		if _, _, err := st.UpsertSubscriber(a.ctx, s); err != nil {
			return err
		}
	}
	rc, err := a.openRedis(cfg)
	if err != nil {
		return err
	}
	defer rc.Close()
	stop, err := a.startWorker(cfg, rc, st, func(h *jobs.Handler) {
		// The outbox stands in for every network, so the demo shows each one's post.
		ob := h.Posters[syndicate.ChannelOutbox]
		delete(h.Posters, syndicate.ChannelOutbox)
		for _, ch := range []syndicate.Channel{syndicate.ChannelX, syndicate.ChannelMastodon, syndicate.ChannelBluesky} {
			h.Posters[ch] = ob
		}
	})
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(a.stdout, "demo folder: %s\n", dir)
	pub := jobs.Publisher{Store: st, Queue: asynq.NewClientFromRedisClient(rc), MaxRetry: cfg.MaxRetry}
	if _, err := pub.Publish(a.ctx, art, time.Time{}); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "published %s %q\n", art.ID, art.Title)
	if err := a.waitFor(cfg, rc, st, art.ID, 2*time.Minute); err != nil {
		return err
	}
	ds, err := st.Deliveries(a.ctx, art.ID)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "\nsent:")
	for _, d := range ds {
		if d.Channel == syndicate.ChannelEmail {
			fmt.Fprintf(a.stdout, "  email to %-20s %s\n", d.Subscriber, d.Status)
		} else {
			fmt.Fprintf(a.stdout, "  %-8s post          %s  %s\n", d.Channel, d.Status, d.RemoteID)
		}
	}
	var files []string
	for _, m := range sink.Messages() {
		files = append(files, m.Path)
	}
	sort.Strings(files)
	fmt.Fprintf(a.stdout, "\nemails (.eml, open in a mail client): %s\n", filepath.Join(dir, "mail"))
	for _, f := range files {
		fmt.Fprintf(a.stdout, "  %s\n", f)
	}
	fmt.Fprintf(a.stdout, "posts: %s\n", filepath.Join(cfg.OutboxDir, "posts"))
	fmt.Fprintf(a.stdout, "ledger: %s (syndicate status %s, with SYNDICATE_DATABASE_URL=%s)\n", filepath.Join(dir, "syndicate.db"), art.ID, cfg.DatabaseURL)
	return nil
}
