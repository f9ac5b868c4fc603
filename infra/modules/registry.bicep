// The container registry azd pushes the api and inference images to. No admin user: the silos pull with the managed
// identity (AcrPull, roles.bicep) and azd pushes with the signed-in user's Entra ID token.
@description('Name of the registry (5-50 letters and digits, globally unique).')
param name string

@description('Location of the registry.')
param location string

@description('Tags of the registry.')
param tags object

resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
  }
}

@description('Name of the registry.')
output name string = registry.name

@description('Login server, e.g. crxyz.azurecr.io.')
output loginServer string = registry.properties.loginServer
