// DingTalk's SDKs are Objective-C frameworks; whichever the workflow downloaded into build/ios/sdks is
// imported here (DTShareKit: https://open.dingtalk.com/document/dingstart/mini-app-access; ADTOpenAuthSDK:
// https://open.dingtalk.com/document/dingstart/mini-app-procedures-for-authorized-logon-to-ios-applications).
#if __has_include(<DTShareKit/DTOpenKit.h>)
#import <DTShareKit/DTOpenKit.h>
#elif __has_include(<DTShareKit/DTOpenAPI.h>)
#import <DTShareKit/DTOpenAPI.h>
#endif
#if __has_include(<ADTOpenAuthSDK/ADTOpenAuthAPI.h>)
#import <ADTOpenAuthSDK/ADTOpenAuthAPI.h>
#import <ADTOpenAuthSDK/ADTOpenAuthObject.h>
#endif
