package templates

import (
	"strings"
	texttemplate "text/template"
	"text/template/parse"
)

// What a Batch's split can stand for: templates that print a recipient's
// values as they are and test only the emptiness of those a shape covers.
// A template that compares a value, measures it or hands it to a function
// makes an email that turns on more than each character's escaping, which
// the probe cannot learn and a check against one full render would not
// always catch; such templates are rendered in full for every recipient.

// printable are the recipient's values a template may print.
var printable = map[string]bool{
	"Subscriber.Email": true, "Subscriber.Name": true, "Subscriber.Handle": true,
	"UnsubscribeURL": true, "PreferencesURL": true,
}

// testable are the values whose emptiness a shape records, so that if and
// with may test them.
var testable = map[string]bool{"Subscriber.Name": true, "UnsubscribeURL": true, "PreferencesURL": true}

// recipientRoots are the View's fields that differ between recipients.
var recipientRoots = map[string]bool{"Subscriber": true, "UnsubscribeURL": true, "PreferencesURL": true}

// splittable reports whether t's templates use the recipient only as a
// split can reproduce. It must run before the templates are first
// executed: html/template rewrites their trees then.
func (t triple) splittable() bool {
	var trees []*parse.Tree
	for _, tt := range []*texttemplate.Template{t.subject, t.text} {
		for _, d := range tt.Templates() {
			trees = append(trees, d.Tree)
		}
	}
	for _, h := range t.html.Templates() {
		trees = append(trees, h.Tree)
	}
	for _, tr := range trees {
		if tr == nil || tr.Root == nil {
			continue
		}
		if !plainNode(tr.Root, false) {
			return false
		}
	}
	return true
}

// plainNode checks n; dotIsValue says dot is a recipient's value (inside
// a with on one).
func plainNode(n parse.Node, dotIsValue bool) bool {
	switch n := n.(type) {
	case nil:
		return true
	case *parse.ListNode:
		if n == nil {
			return true
		}
		for _, c := range n.Nodes {
			if !plainNode(c, dotIsValue) {
				return false
			}
		}
		return true
	case *parse.ActionNode:
		return plainPrint(n.Pipe, dotIsValue) || !pipeUses(n.Pipe, dotIsValue)
	case *parse.IfNode:
		return plainBranch(&n.BranchNode, dotIsValue, false)
	case *parse.WithNode:
		return plainBranch(&n.BranchNode, dotIsValue, true)
	case *parse.RangeNode:
		return !pipeUses(n.Pipe, dotIsValue) && plainNode(n.List, false) && plainNode(n.ElseList, dotIsValue)
	case *parse.TemplateNode:
		return n.Pipe == nil || !pipeUses(n.Pipe, dotIsValue)
	default: // text, comments, break, continue
		return true
	}
}

// plainBranch checks an if or with: its condition may test a testable
// value, and a with on one makes dot that value.
func plainBranch(b *parse.BranchNode, dotIsValue, with bool) bool {
	inner := dotIsValue
	if field, ok := soleField(b.Pipe); ok && testable[field] {
		if with {
			inner = true
		}
	} else {
		if pipeUses(b.Pipe, dotIsValue) {
			return false
		}
		if with {
			inner = false
		}
	}
	return plainNode(b.List, inner) && plainNode(b.ElseList, dotIsValue)
}

// plainPrint reports whether p prints one printable value (or dot, when
// it is one) as it is, followed by nothing but html/template's escapers.
func plainPrint(p *parse.PipeNode, dotIsValue bool) bool {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) == 0 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	for _, c := range p.Cmds[1:] {
		if len(c.Args) != 1 {
			return false
		}
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if !ok || !strings.HasPrefix(id.Ident, "_html_template_") && id.Ident != "_eval_args_" {
			return false
		}
	}
	if _, ok := p.Cmds[0].Args[0].(*parse.DotNode); ok {
		return dotIsValue
	}
	field, ok := soleField(&parse.PipeNode{Cmds: p.Cmds[:1]})
	return ok && printable[field]
}

// soleField returns the recipient field p is, when p is nothing but one:
// .Subscriber.Name or $.UnsubscribeURL, say.
func soleField(p *parse.PipeNode) (string, bool) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return "", false
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		return strings.Join(a.Ident, "."), true
	case *parse.VariableNode:
		if len(a.Ident) > 1 && a.Ident[0] == "$" {
			return strings.Join(a.Ident[1:], "."), true
		}
	}
	return "", false
}

// pipeUses reports whether p reads a recipient's value anywhere.
func pipeUses(p *parse.PipeNode, dotIsValue bool) bool {
	if p == nil {
		return false
	}
	for _, c := range p.Cmds {
		for _, a := range c.Args {
			if argUses(a, dotIsValue) {
				return true
			}
		}
	}
	return false
}

func argUses(a parse.Node, dotIsValue bool) bool {
	switch a := a.(type) {
	case *parse.DotNode:
		return dotIsValue
	case *parse.FieldNode:
		return recipientRoots[a.Ident[0]] || dotIsValue
	case *parse.VariableNode:
		// $.Subscriber…; other variables cannot hold a recipient's value,
		// as a declaration from one is not plain.
		return len(a.Ident) > 1 && a.Ident[0] == "$" && recipientRoots[a.Ident[1]]
	case *parse.ChainNode:
		return argUses(a.Node, dotIsValue) || recipientRoots[a.Field[0]]
	case *parse.PipeNode:
		return pipeUses(a, dotIsValue)
	default:
		return false
	}
}
