import { useCallback, useMemo } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { parseUrlState, serializeUrlState, type CodeReviewUrlState } from '../../view-model/url-state.ts';

/**
 * The page state kept in the URL query string (React Router v6 APIs from `react-router`, which
 * Grafana shares). Setting it pushes a history entry, so Back undoes a filter change.
 */
export function useUrlState(): [CodeReviewUrlState, (next: CodeReviewUrlState) => void] {
  const location = useLocation();
  const navigate = useNavigate();
  const state = useMemo(() => parseUrlState(location.search), [location.search]);
  const setState = useCallback(
    (next: CodeReviewUrlState) => {
      const search = serializeUrlState(next, location.search);
      if (search !== location.search.replace(/^\?/, '')) {
        navigate({ pathname: location.pathname, search: `?${search}` });
      }
    },
    [location.pathname, location.search, navigate],
  );
  return [state, setState];
}
