package store

import (
	"sync"
	"time"
)

// apiKeyCacheTTL is how long a resolved key is remembered. Within this
// process a revocation or an erasure forgets it at once (publish); a
// change made by another process is seen when its event arrives (at
// once on PostgreSQL, notify.go; at the relay's next check on SQLite).
const apiKeyCacheTTL = 5 * time.Second

// apiKeyCache remembers which keys resolved to which accounts, and when
// each key's use was last written.
type apiKeyCache struct {
	mu      sync.Mutex
	gen     uint64 // moves on whenever an account changes: a lookup begun before must not be remembered
	byHash  map[string]cachedAPIKey
	touched map[int64]time.Time
}

type cachedAPIKey struct {
	key     APIKey
	expires time.Time
}

// generation is the state a lookup starts from (see put).
func (c *apiKeyCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *apiKeyCache) get(hash []byte, now time.Time) (APIKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byHash[string(hash)]
	if !ok || !now.Before(e.expires) {
		return APIKey{}, false
	}
	return e.key, true
}

// put remembers a lookup's answer, unless an account changed since the
// lookup began (gen): its answer may be stale already.
func (c *apiKeyCache) put(hash []byte, k APIKey, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.byHash == nil {
		c.byHash = map[string]cachedAPIKey{}
	}
	if len(c.byHash) > 100_000 { // bounded: stale entries go all at once
		clear(c.byHash)
	}
	c.byHash[string(hash)] = cachedAPIKey{key: k, expires: now.Add(apiKeyCacheTTL)}
}

// forgetUser drops every remembered key of the account.
func (c *apiKeyCache) forgetUser(userID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for h, e := range c.byHash {
		if e.key.UserID == userID {
			delete(c.byHash, h)
		}
	}
}

// forgetAll drops every remembered key: changes may have been missed.
func (c *apiKeyCache) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.byHash)
}

// dueTouch reports whether the key's use should be written now, and
// notes it as written if so.
func (c *apiKeyCache) dueTouch(keyID int64, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if last, ok := c.touched[keyID]; ok && now.Sub(last) < apiKeyTouchEvery {
		return false
	}
	if c.touched == nil {
		c.touched = map[int64]time.Time{}
	}
	if len(c.touched) > 100_000 {
		clear(c.touched)
	}
	c.touched[keyID] = now
	return true
}

// publish tells live sessions about a committed change; a change of an
// account first forgets the API keys remembered for it.
func (s *Store) publish(e Event) {
	if e.Kind == EventAccount || e.Kind == EventAccountDeleted {
		s.apiKeys.forgetUser(e.UserID)
	}
	s.hub.Publish(e)
}
