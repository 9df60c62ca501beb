package redisstore_test

import (
	"fmt"

	"github.com/redis/go-redis/v9"

	redisstore "github.com/pollbot/pollbot/storage/redis"
)

// NewClient (and Open, which also checks the connection) picks the mode
// from the URL.
func ExampleNewClient() {
	for _, u := range []string{
		"redis://localhost:6379/0",
		"rediss+cluster://:secret@10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000",
		"redis+sentinel://:secret@sentinel-1:26379,sentinel-2:26379/pollbot/0",
	} {
		c, err := redisstore.NewClient(u)
		if err != nil {
			fmt.Println(err)
			continue
		}
		switch c.(type) {
		case *redis.ClusterClient:
			fmt.Println("cluster")
		case *redis.Client:
			fmt.Println("single node or Sentinel-managed master")
		}
		c.Close()
	}
	// Output:
	// single node or Sentinel-managed master
	// cluster
	// single node or Sentinel-managed master
}
