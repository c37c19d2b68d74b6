package commands

// Param is a positional argument or a flag of a command: a Value made by
// Arg or Flag.
type Param interface{ def() *param }

// param is a parameter's definition, typed values erased.
type param struct {
	name     string // "EMAIL" for an argument, "reason" for --reason
	help     string
	typeName string
	typeHelp string
	parse    func(string) (any, error)
	flag     bool
	noValue  bool // a Bool flag
	required bool // flags only: arguments are required unless optional
	optional bool // arguments only: may be left out (the last ones only)
	def      string
	hasDef   bool
}

// Value is a typed handle on one parameter: a command's Run reads the
// value the person gave with Get. The parser stores exactly what the
// parameter's Type returned, so Get cannot see another type.
type Value[T any] struct{ p *param }

// Arg defines a positional argument; arguments are required, in the order
// they are listed in Command.Params.
func Arg[T any](name string, t Type[T], help string) Value[T] {
	return Value[T]{p: newParam(name, t, help, false)}
}

// OptionalArg defines a positional argument that may be left out; only
// the last arguments of a command may be optional (Given tells whether it
// came).
func OptionalArg[T any](name string, t Type[T], help string) Value[T] {
	v := Arg(name, t, help)
	v.p.optional = true
	return v
}

// Flag defines an optional flag --name (see Required and Default).
func Flag[T any](name string, t Type[T], help string) Value[T] {
	return Value[T]{p: newParam(name, t, help, true)}
}

func newParam[T any](name string, t Type[T], help string, flag bool) *param {
	return &param{name: name, help: help, typeName: t.Name, typeHelp: t.Help, flag: flag, noValue: t.noValue,
		parse: func(s string) (any, error) { return t.Parse(s) }}
}

// Required makes a flag mandatory.
func (v Value[T]) Required() Value[T] {
	v.p.required = true
	return v
}

// Default gives a flag the value it takes when it is not given, written
// as a person would type it (checked when the Handler is built).
func (v Value[T]) Default(text string) Value[T] {
	v.p.def, v.p.hasDef = text, true
	return v
}

// Get is the parameter's value in this call: the zero value for a flag
// that was not given and has no default.
func (v Value[T]) Get(c *Call) T {
	x, _ := c.inv.values[v.p].(T)
	return x
}

// Given reports whether the person gave the flag.
func (v Value[T]) Given(c *Call) bool { return c.inv.given[v.p] }

func (v Value[T]) def() *param { return v.p }

// usage is how the parameter appears in a usage line.
func (p *param) usage() string {
	switch {
	case !p.flag && p.optional:
		return "[" + p.name + "]"
	case !p.flag:
		return p.name
	case p.noValue:
		return "[--" + p.name + "]"
	case p.required:
		return "--" + p.name + " " + p.typeName
	}
	return "[--" + p.name + " " + p.typeName + "]"
}
