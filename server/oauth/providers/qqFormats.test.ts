import { describe, expect, it } from 'vitest';
import { parseQqMe, parseQqToken, parseQqUserInfo, qqJsonObject } from './qqFormats.js';

describe("QQ Connect's answer formats", () => {
  it('reads the token answer as key=value, JSON and JSONP errors', () => {
    expect(parseQqToken('access_token=FE04AB&expires_in=7776000&refresh_token=88E4BE14')).toEqual({ ok: true, accessToken: 'FE04AB' });
    expect(parseQqToken('{"access_token":"FE04AB","expires_in":"7776000","refresh_token":"88E4"}')).toEqual({ ok: true, accessToken: 'FE04AB' });
    expect(parseQqToken('callback( {"error":100019,"error_description":"code to access token error"} );\n'))
      .toEqual({ ok: false, code: '100019', description: 'code to access token error' });
    expect(parseQqToken('{"error":100013,"error_description":"client secret is wrong or lost"}'))
      .toEqual({ ok: false, code: '100013', description: 'client secret is wrong or lost' });
    expect(parseQqToken('<html>gateway timeout</html>')).toMatchObject({ ok: false, code: 'unreadable_answer' });
  });

  it('unwraps /me wherever the JSONP padding is, without slicing by offsets', () => {
    for (const body of [
      'callback( {"client_id":"101000001","openid":"ABC"} );',
      'callback({"client_id":"101000001","openid":"ABC"});\n',
      '  callback(\n{"client_id":"101000001","openid":"ABC"}\n)  ',
      '{"client_id":"101000001","openid":"ABC"}',
    ]) {
      expect(parseQqMe(body)).toEqual({ ok: true, clientId: '101000001', openid: 'ABC' });
    }
    expect(parseQqMe('callback( {"client_id":"1","openid":"A","unionid":"U"} );')).toEqual({ ok: true, clientId: '1', openid: 'A', unionid: 'U' });
    expect(parseQqMe('callback( {"error":100016,"error_description":"access token check failed"} );'))
      .toEqual({ ok: false, code: '100016', description: 'access token check failed' });
    expect(parseQqMe('callback( {"client_id":"1"} );')).toMatchObject({ ok: false, code: 'unreadable_answer' });
    expect(qqJsonObject('callback( [1,2] );')).toBeUndefined();
    expect(qqJsonObject('callback( {broken );')).toBeUndefined();
  });

  it('reads get_user_info: ret 0 is the profile, anything else an error with msg', () => {
    expect(parseQqUserInfo('{"ret":0,"msg":"","nickname":"小明","figureurl_qq_2":"http://q/100"}')).toEqual({ ok: true, nickname: '小明' });
    expect(parseQqUserInfo('{"ret":1002,"msg":"请先登录"}')).toEqual({ ok: false, code: '1002', description: '请先登录' });
    expect(parseQqUserInfo('not json')).toMatchObject({ ok: false, code: 'unreadable_answer' });
  });
});
