// A private DNS zone for the internal environment's default domain, linked to its virtual network, so the apps'
// FQDNs (the api silo's URL) resolve to the environment's static IP inside the network.
@description('The environment default domain, e.g. <name>.<region>.azurecontainerapps.io.')
param zoneName string

@description('Resource id of the virtual network to link.')
param vnetId string

@description('The environment static IP.')
param staticIp string

@description('Tags of the zone.')
param tags object

resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: zoneName
  location: 'global'
  tags: tags
}

resource link 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: zone
  name: 'container-apps-environment'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnetId
    }
  }
}

resource wildcard 'Microsoft.Network/privateDnsZones/A@2024-06-01' = {
  parent: zone
  name: '*'
  properties: {
    ttl: 300
    aRecords: [
      {
        ipv4Address: staticIp
      }
    ]
  }
}
