package jsonpos

import "testing"

func TestHasherFollowsEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"key order", `{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1}`, true},
		{"formatting", "{\n \"a\" : [ 1 , 2 ]\n}", `{"a":[1,2]}`, true},
		{"number literal", `[1.0, 1e2, -0]`, `[1, 100, 0]`, true},
		{"array order", `[1,2]`, `[2,1]`, false},
		{"string vs number", `"1"`, `1`, false},
		{"empty array vs object", `[]`, `{}`, false},
		{"null vs false", `null`, `false`, false},
		{"swapped values", `{"a":1,"b":2}`, `{"a":2,"b":1}`, false},
		{"nested change", `{"a":{"b":{"c":"x"}}}`, `{"a":{"b":{"c":"y"}}}`, false},
		{"extra member", `{"a":1}`, `{"a":1,"b":null}`, false},
	}
	h := NewHasher()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustParse(t, tt.a), mustParse(t, tt.b)
			if eq := Equal(a, b); eq != tt.same {
				t.Fatalf("Equal = %v, want %v", eq, tt.same)
			}
			if same := h.Value(a) == h.Value(b); same != tt.same {
				t.Fatalf("equal hashes = %v, want %v", same, tt.same)
			}
		})
	}
}

func TestHasherSetIgnoresOrder(t *testing.T) {
	h := NewHasher()
	a, b, c := mustParse(t, `["x","y","z"]`), mustParse(t, `["z","x","y"]`), mustParse(t, `["x","y"]`)
	if h.Set(a) != h.Set(b) {
		t.Fatal("reordered set hashes differ")
	}
	if h.Set(a) == h.Set(c) {
		t.Fatal("smaller set hashes the same")
	}
}

func TestObjectHashMatchesValue(t *testing.T) {
	h := NewHasher()
	v := mustParse(t, `{"a":1,"b":{"c":[true,null]}}`)
	var o ObjectHash
	for i := len(v.Kids) - 1; i >= 0; i-- {
		o.Add(h, v.Kids[i].Key, h.Value(&v.Kids[i]))
	}
	if o.Sum() != h.Value(v) {
		t.Fatal("ObjectHash built member by member differs from Value")
	}
}

func mustParse(t *testing.T, s string) *Value {
	t.Helper()
	d, err := Parse("t.json", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d.Root
}
