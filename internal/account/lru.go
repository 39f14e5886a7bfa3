package account

import "container/list"

// lru is a map bounded to max entries that drops the least recently used
// one to make room. It does no locking; its owner does.
type lru[K comparable, V any] struct {
	max   int
	m     map[K]*list.Element
	order list.List // of *lruEntry, most recently used at the front
}

type lruEntry[K comparable, V any] struct {
	key K
	val V
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, m: make(map[K]*list.Element)}
}

// get returns key's value and marks it the most recently used.
func (c *lru[K, V]) get(key K) (V, bool) {
	el, ok := c.m[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruEntry[K, V]).val, true
}

// peek returns key's value and leaves the order as it is.
func (c *lru[K, V]) peek(key K) (V, bool) {
	el, ok := c.m[key]
	if !ok {
		var zero V
		return zero, false
	}
	return el.Value.(*lruEntry[K, V]).val, true
}

// put sets key's value and marks it the most recently used; a new key in a
// full map takes the place of the least recently used.
func (c *lru[K, V]) put(key K, val V) {
	if el, ok := c.m[key]; ok {
		el.Value.(*lruEntry[K, V]).val = val
		c.order.MoveToFront(el)
		return
	}
	if len(c.m) >= c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.m, oldest.Value.(*lruEntry[K, V]).key)
	}
	c.m[key] = c.order.PushFront(&lruEntry[K, V]{key: key, val: val})
}

// len is the number of entries.
func (c *lru[K, V]) len() int { return len(c.m) }

// remove drops key's entry, if there is one.
func (c *lru[K, V]) remove(key K) {
	if el, ok := c.m[key]; ok {
		c.order.Remove(el)
		delete(c.m, key)
	}
}
