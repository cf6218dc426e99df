package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kds-io/kds/app/access"
)

// The kmsg values of app/access's resources, patterns and operations.
var (
	resourceTypes = map[access.ResourceType]kmsg.ACLResourceType{access.TopicResource: kmsg.ACLResourceTypeTopic, access.GroupResource: kmsg.ACLResourceTypeGroup}
	patternTypes  = map[access.Pattern]kmsg.ACLResourcePatternType{access.Literal: kmsg.ACLResourcePatternTypeLiteral, access.Prefixed: kmsg.ACLResourcePatternTypePrefixed}
	operations    = map[access.Operation]kmsg.ACLOperation{access.Read: kmsg.ACLOperationRead, access.Write: kmsg.ACLOperationWrite, access.Describe: kmsg.ACLOperationDescribe}
)

// anyHost is the host of every ACL kds makes.
const anyHost = "*"

// ACLs implements access.Kafka: every ACL of the cluster, those kds could
// have made as grants and the others described.
func (c *Cluster) ACLs(ctx context.Context) ([]access.Grant, []string, error) {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType = kmsg.ACLResourceTypeAny
	req.ResourcePatternType = kmsg.ACLResourcePatternTypeAny
	req.Operation = kmsg.ACLOperationAny
	req.PermissionType = kmsg.ACLPermissionTypeAny
	resp, err := req.RequestWith(ctx, c.client)
	if err != nil {
		return nil, nil, c.config.unreachable(ctx, err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, nil, fmt.Errorf("describe ACLs: %w%s", err, brokerSays(resp.ErrorMessage))
	}
	var grants []access.Grant
	var others []string
	for _, r := range resp.Resources {
		for _, a := range r.ACLs {
			g, ok := grantOf(r, a)
			if !ok {
				others = append(others, fmt.Sprintf("%s %s on %s %s %s to %s from %s", a.PermissionType, a.Operation, r.ResourcePatternType, r.ResourceType, r.ResourceName, a.Principal, a.Host))
				continue
			}
			grants = append(grants, g)
		}
	}
	return grants, others, nil
}

// grantOf reads an ACL as a grant, when it is one kds could have made.
func grantOf(r kmsg.DescribeACLsResponseResource, a kmsg.DescribeACLsResponseResourceACL) (access.Grant, bool) {
	g := access.Grant{Principal: a.Principal, Name: r.ResourceName}
	var ok [3]bool
	for k, v := range resourceTypes {
		if v == r.ResourceType {
			g.Resource, ok[0] = k, true
		}
	}
	for k, v := range patternTypes {
		if v == r.ResourcePatternType {
			g.Pattern, ok[1] = k, true
		}
	}
	for k, v := range operations {
		if v == a.Operation {
			g.Operation, ok[2] = k, true
		}
	}
	return g, ok[0] && ok[1] && ok[2] && a.PermissionType == kmsg.ACLPermissionTypeAllow && a.Host == anyHost
}

// CreateACLs implements access.Kafka, in one request.
func (c *Cluster) CreateACLs(ctx context.Context, grants []access.Grant) error {
	req := kmsg.NewPtrCreateACLsRequest()
	for _, g := range grants {
		cr := kmsg.NewCreateACLsRequestCreation()
		cr.ResourceType, cr.ResourceName, cr.ResourcePatternType = resourceTypes[g.Resource], g.Name, patternTypes[g.Pattern]
		cr.Principal, cr.Host, cr.Operation, cr.PermissionType = g.Principal, anyHost, operations[g.Operation], kmsg.ACLPermissionTypeAllow
		req.Creations = append(req.Creations, cr)
	}
	resp, err := req.RequestWith(ctx, c.client)
	if err != nil {
		return c.config.unreachable(ctx, err)
	}
	var errs []error
	for i, r := range resp.Results {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil && i < len(grants) {
			errs = append(errs, fmt.Errorf("grant %s: %w%s", grants[i], err, brokerSays(r.ErrorMessage)))
		}
	}
	return errors.Join(errs...)
}

// DeleteACLs implements access.Kafka, in one request of exact filters.
func (c *Cluster) DeleteACLs(ctx context.Context, grants []access.Grant) error {
	req := kmsg.NewPtrDeleteACLsRequest()
	for _, g := range grants {
		f := kmsg.NewDeleteACLsRequestFilter()
		f.ResourceType, f.ResourceName, f.ResourcePatternType = resourceTypes[g.Resource], kmsg.StringPtr(g.Name), patternTypes[g.Pattern]
		f.Principal, f.Host, f.Operation, f.PermissionType = kmsg.StringPtr(g.Principal), kmsg.StringPtr(anyHost), operations[g.Operation], kmsg.ACLPermissionTypeAllow
		req.Filters = append(req.Filters, f)
	}
	resp, err := req.RequestWith(ctx, c.client)
	if err != nil {
		return c.config.unreachable(ctx, err)
	}
	var errs []error
	for i, r := range resp.Results {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil && i < len(grants) {
			errs = append(errs, fmt.Errorf("revoke %s: %w%s", grants[i], err, brokerSays(r.ErrorMessage)))
		}
	}
	return errors.Join(errs...)
}

// brokerSays is a broker's explanation, when it gave one, to follow an error.
func brokerSays(m *string) string {
	if m == nil || *m == "" {
		return ""
	}
	return ": " + *m
}
