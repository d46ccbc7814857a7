// The floor under the JetStream room: nats-server -js alone, a Go client publishing at a pace
// (async, acks awaited in the background; -sync: each publish waits for its ack) and an ordered
// push consumer reading; latency from publish to delivery, file storage.
//
//	nats-server -a 127.0.0.1 -p 4333 -js -sd "$(mktemp -d)" &
//	cd Benchmarks/jsfloor && GO111MODULE=off GOPATH=/usr/share/gocode go build -o /tmp/jsfloor jsfloor.go
//	/tmp/jsfloor -url nats://127.0.0.1:4333 -rate 4000 [-sync] [-room]
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

func main() {
	url := flag.String("url", nats.DefaultURL, "")
	rate := flag.Int("rate", 4000, "messages per second")
	seconds := flag.Int("seconds", 10, "")
	sync1 := flag.Bool("sync", false, "publish and wait for each ack")
	room := flag.Bool("room", false, "the room's stream settings: a message ID on every publish, 1 GiB, 24 h, 2 min duplicate window")
	flag.Parse()
	nc, err := nats.Connect(*url)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	js, _ := nc.JetStream(nats.PublishAsyncMaxPending(4096))
	js.DeleteStream("LAT")
	if _, err := js.AddStream(&nats.StreamConfig{Name: "LAT", Subjects: []string{"lat"}, Storage: nats.FileStorage, MaxBytes: roomInt(*room, 1<<30), MaxAge: time.Duration(roomInt(*room, int64(24*time.Hour))), Duplicates: time.Duration(roomInt(*room, int64(2*time.Minute)))}); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	total := *rate * *seconds
	var mu sync.Mutex
	lat := make([]float64, 0, total)
	done := make(chan struct{})
	nc2, _ := nats.Connect(*url)
	js2, _ := nc2.JetStream()
	got := 0
	_, err = js2.Subscribe("lat", func(m *nats.Msg) {
		sent := int64(binary.BigEndian.Uint64(m.Data))
		mu.Lock()
		lat = append(lat, float64(time.Now().UnixNano()-sent)/1e6)
		got++
		if got == total {
			close(done)
		}
		mu.Unlock()
	}, nats.OrderedConsumer())
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	start := time.Now()
	payload := make([]byte, 64)
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * time.Second / time.Duration(*rate))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		binary.BigEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
		var opts []nats.PubOpt
		if *room {
			opts = append(opts, nats.MsgId(fmt.Sprintf("n-%d", i)))
		}
		if *sync1 {
			js.Publish("lat", payload, opts...)
		} else {
			js.PublishAsync("lat", payload, opts...)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
	mu.Lock()
	sort.Float64s(lat)
	p := func(q float64) float64 { return lat[int(q*float64(len(lat)-1))] }
	fmt.Printf("got %d of %d; p50 %.2f ms p99 %.2f ms p99.9 %.2f ms max %.2f ms\n", len(lat), total, p(0.5), p(0.99), p(0.999), p(1))
}

// roomInt is value with -room, and 0 (the server's default) without.
func roomInt(room bool, value int64) int64 {
	if room {
		return value
	}
	return 0
}
