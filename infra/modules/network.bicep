// The virtual network of the internal Container Apps environment: one /27 subnet delegated to
// Microsoft.App/environments (the smallest a workload-profiles environment accepts).
@description('Name of the virtual network.')
param name string

@description('Location of the virtual network.')
param location string

@description('Tags of the virtual network.')
param tags object

@description('Address space of the virtual network.')
param addressPrefix string = '10.42.0.0/24'

@description('Address range of the Container Apps subnet (/27).')
param subnetPrefix string = '10.42.0.0/27'

resource vnet 'Microsoft.Network/virtualNetworks@2025-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
  }
}

resource subnet 'Microsoft.Network/virtualNetworks/subnets@2025-07-01' = {
  parent: vnet
  name: 'container-apps'
  properties: {
    addressPrefix: subnetPrefix
    delegations: [
      {
        name: 'Microsoft.App.environments'
        properties: {
          serviceName: 'Microsoft.App/environments'
        }
      }
    ]
    serviceEndpoints: [
      {
        service: 'Microsoft.Storage'
      }
    ]
  }
}

@description('Resource id of the virtual network.')
output vnetId string = vnet.id

@description('Resource id of the Container Apps subnet.')
output subnetId string = subnet.id
