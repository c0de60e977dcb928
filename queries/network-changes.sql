/*
title = "Network changes: routes, route tables, NACLs, subnets, gateways, VPC endpoints"
kind = "investigation"
tags = ["ec2", "vpc", "network", "T1599"]
description = """
Changes to VPC networking in the window, oldest first: routes and route tables and their
associations, network ACLs and their entries, subnets, internet and NAT gateways, VPC endpoints,
peering and the VPCs themselves. A changed route or NACL just before traffic stopped is a
classic cause of an outage; a new gateway or peering can open a path out.
"""

[params.resource_id]
type = "string"
required = false
description = "Only changes naming this resource id (rtb-, acl-, subnet-, igw-, nat-, vpce-, vpc-, pcx-...)."
*/
SELECT
    eventtime,
    eventname,
    useridentity.arn AS principal,
    sourceipaddress,
    awsregion,
    requestparameters,
    errorcode,
    eventid
FROM trail
WHERE eventsource = 'ec2.amazonaws.com'
    AND eventname IN (
        'CreateRoute', 'DeleteRoute', 'ReplaceRoute',
        'CreateRouteTable', 'DeleteRouteTable', 'AssociateRouteTable', 'DisassociateRouteTable',
        'ReplaceRouteTableAssociation',
        'CreateNetworkAcl', 'DeleteNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAclEntry',
        'ReplaceNetworkAclEntry', 'ReplaceNetworkAclAssociation',
        'CreateSubnet', 'DeleteSubnet', 'ModifySubnetAttribute',
        'CreateInternetGateway', 'DeleteInternetGateway', 'AttachInternetGateway', 'DetachInternetGateway',
        'CreateNatGateway', 'DeleteNatGateway',
        'CreateVpcEndpoint', 'DeleteVpcEndpoints', 'ModifyVpcEndpoint',
        'CreateVpc', 'DeleteVpc', 'ModifyVpcAttribute',
        'CreateVpcPeeringConnection', 'AcceptVpcPeeringConnection', 'DeleteVpcPeeringConnection'
    )
    AND (
        :resource_id IS NULL
        OR strpos(requestparameters, concat('"', :resource_id, '"')) > 0
        OR strpos(responseelements, concat('"', :resource_id, '"')) > 0
    )
ORDER BY eventtime
