// Command paced sends webhooks to modgate at a fixed rate and prints the
// latency percentiles, so that two configurations (say the memory and the
// Redis state store) can be compared at the same load rather than at
// saturation, which is what wrk measures:
//
//	go run ./bench/paced -url http://127.0.0.1:18080/webhooks/cometchat -rate 5000 -d 10s
//
// Each message gets its own muid, and senders rotate over -senders uids, so
// that counting rules see realistic keys.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18080/webhooks/cometchat", "webhook URL")
	rate := flag.Int("rate", 5000, "messages a second")
	dur := flag.Duration("d", 10*time.Second, "how long to send")
	senders := flag.Int("senders", 100000, "distinct sender uids")
	workers := flag.Int("workers", 64, "concurrent connections")
	user := flag.String("user", "cometchat", "Basic auth user")
	pass := flag.String("pass", "bench", "Basic auth password")
	flag.Parse()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers}, Timeout: 5 * time.Second}
	jobs := make(chan int, *workers*4)
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for range *workers {
		wg.Go(func() {
			for i := range jobs {
				body := fmt.Sprintf(`{"trigger":"before_message","appId":"bench","webhook":"w","data":{"muid":"paced-%d-%d","sender":"user-%d","receiver":"group-%d","receiverType":"group","category":"message","type":"text","data":{"text":"Hey team, the north loop trail is muddy today, bring boots"}}}`,
					os.Getpid(), i, i%*senders, i%50)
				req, _ := http.NewRequest(http.MethodPost, *url, bytes.NewBufferString(body))
				req.SetBasicAuth(*user, *pass)
				start := time.Now()
				resp, err := client.Do(req)
				took := time.Since(start)
				ok := err == nil && resp.StatusCode == http.StatusOK
				if resp != nil {
					resp.Body.Close()
				}
				mu.Lock()
				if ok {
					lat = append(lat, took)
				} else {
					errs++
				}
				mu.Unlock()
			}
		})
	}
	tick := time.Second / time.Duration(*rate)
	start := time.Now()
	late := 0
	for i := 0; time.Since(start) < *dur; i++ {
		next := start.Add(time.Duration(i) * tick)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		select {
		case jobs <- i:
		default:
			late++ // every worker busy: the server is not keeping up
			jobs <- i
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("%d ok, %d errors in %v (%.0f msg/s, %d sent late); latency p50 %v p90 %v p99 %v max %v\n",
		len(lat), errs, elapsed.Round(time.Millisecond), float64(len(lat))/elapsed.Seconds(), late,
		pct(0.5), pct(0.9), pct(0.99), pct(1))
}
